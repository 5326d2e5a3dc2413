/** The error every store raises when used after `close()`. */
import { ErrorCodes, StorageError } from "../errors.js";

/** `STORAGE_CLOSED` for `what` (e.g. the directory) used after close. */
export function closedError(what: string): StorageError {
  return new StorageError(
    ErrorCodes.STORAGE_CLOSED,
    `Storage ${what} was used after close(); open it again to keep using it.`,
  );
}
