import { connect } from "node:net";

/** A local service some tests talk to, with the port it listens on at 127.0.0.1. */
export const SERVICES = {
  postgres: 5432,
  nats: 4222,
  rabbitmq: 5672,
  mosquitto: 1883,
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Whether `service` is listening. Use at the top of a test file:
 * `const pg = await serviceAvailable("postgres"); describe.skipIf(!pg)(…)`.
 * Under `CI=true` a missing service is an error (CI starts every service with .ci/start-services);
 * elsewhere the file's tests skip, and the reason is printed.
 */
export async function serviceAvailable(service: ServiceName): Promise<boolean> {
  const port = SERVICES[service];
  if (await listening(port)) return true;
  const why = `${service} is not listening on 127.0.0.1:${port} (start it with .ci/start-services ${service})`;
  if (process.env.CI === "true") throw new Error(`${why}; CI needs it`);
  console.warn(`skipping tests that need ${service}: ${why}`);
  return false;
}
