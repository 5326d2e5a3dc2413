// A member for the launcher test (lib/group/instances.test.ts). `echo`: prints its index and
// DSTREAM_TEST_GREETING on stdout, a line on stderr and a last line without a newline, then exits
// with its index as exit code. `wait`: prints `ready`, and on SIGTERM or SIGINT `stopping on <signal>`,
// then exits 0.
const index = process.env.DSTREAM_MEMBER_INDEX ?? "?";
if (process.argv[2] === "echo") {
  process.stdout.write(`hello ${index} ${process.env.DSTREAM_TEST_GREETING ?? ""}\n`);
  process.stderr.write(`on stderr ${index}\n`);
  process.stdout.write(`no newline ${index}`);
  process.exitCode = Number(index);
} else {
  const keepAlive = setInterval(() => undefined, 60_000);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      clearInterval(keepAlive);
      process.stdout.write(`stopping on ${signal}\n`);
    });
  }
  process.stdout.write("ready\n");
}
