import type { Duration } from "../time.js";

/**
 * How many records each partition of a direct stream may take into one batch (Spark's
 * DirectKafkaInputDStream.maxMessagesPerPartition): the input's `rate` is shared out in
 * proportion to each partition's lag, each share capped at `maxRatePerPartition`; without a rate,
 * `maxRatePerPartition` alone. Undefined: no bound at all. Each limit is at least 1, so a lagging
 * partition always moves.
 */
export function maxRecordsPerPartition(
  lags: readonly number[],
  options: { rate: number | undefined; maxRatePerPartition: number | undefined; batchDuration: Duration },
): number[] | undefined {
  const { rate, maxRatePerPartition, batchDuration } = options;
  const cap = maxRatePerPartition !== undefined && maxRatePerPartition > 0 ? maxRatePerPartition : undefined;
  let perSecond: number[];
  if (rate !== undefined && rate > 0) {
    const lag = lags.map((l) => Math.max(0, l));
    const total = lag.reduce((a, b) => a + b, 0);
    perSecond = lag.map((l) => {
      const share = total === 0 ? 0 : (l / total) * rate;
      return cap === undefined ? share : Math.min(share, cap);
    });
  } else if (cap !== undefined) {
    perSecond = lags.map(() => cap);
  } else {
    return undefined;
  }
  if (perSecond.reduce((a, b) => a + b, 0) <= 0) return undefined;
  const seconds = batchDuration / 1000;
  return perSecond.map((r) => Math.max(1, Math.floor(seconds * r)));
}
