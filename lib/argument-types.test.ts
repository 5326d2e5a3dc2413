/**
 * Public entry points given a value of the wrong type throw a TypeError saying what was expected
 * ("2" passed as a number of seconds was taken as 2000 ms; a plain object as a receiver failed with
 * "receiver.attach is not a function"). A number out of range stays a RangeError.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { DummySource } from "./input/dummy-source.js";
import { RDD } from "./rdd/rdd.js";
import { TestReceiver } from "./test-support/test-receiver.js";
import { StateSpec } from "./dstream/internal.js";
import { StreamingContext } from "./streaming-context.js";
import { Milliseconds, Minutes, Seconds } from "./time.js";

const bad = (v: unknown) => v as never;

describe("arguments of the wrong type are TypeErrors that say what was expected", () => {
  it("durations", () => {
    expect(() => Seconds(bad("2"))).toThrow(TypeError);
    expect(() => Seconds(bad("2"))).toThrow(/Seconds\(n\) expects a number of seconds; got the string "2"/);
    expect(() => Milliseconds(bad("5"))).toThrow(/Milliseconds\(n\) expects a number of milliseconds/);
    expect(() => Minutes(bad(1n))).toThrow(/Minutes\(n\) expects a number of minutes; got bigint 1/);
    expect(() => Seconds(bad(undefined))).toThrow(TypeError);
    expect(() => Seconds(-1)).toThrow(RangeError);
    expect(() => Seconds(bad("x"))).toThrow(/Convert it first, e\.g\. Seconds\(Number\(value\)\)$/);
    expect(() => Seconds(-1)).toThrow(/Seconds\(n\) expects a non-negative number of seconds .*; got -1 \(-1000 ms\)$/);
    expect(() => new DummySource(bad("1000"))).toThrow(/DummySource\(eventsPerSecond\) expects a number of lines per second; got the string "1000"/);
    expect(() => new DummySource(0)).toThrow(RangeError);
    expect(Seconds(2)).toBe(2000);

    expect(() => new StreamingContext({ batchDuration: bad("1000") })).toThrow(/batchDuration must be a number of milliseconds .*got the string "1000"/);
    expect(() => new StreamingContext({ batchDuration: 1000, blockInterval: bad("200") })).toThrow(TypeError);
    expect(() => new StreamingContext({ batchDuration: 1000, appName: bad(5) })).toThrow(/appName must be a string/);
    expect(() => new StreamingContext({ batchDuration: 1000, ...({ stopGracefullyOnShutDown: true } as object) })).toThrow(
      /unknown option "stopGracefullyOnShutDown"; the options are batchDuration, .*stopGracefullyOnShutdown/,
    );
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<[string, number]>([]);
    expect(() => ssc.remember(bad("60000"))).toThrow(TypeError);
    expect(() => s.window(bad("2000"))).toThrow(/windowDuration must be a number of milliseconds/);
    expect(() => s.window(2000, bad("1000"))).toThrow(TypeError);
    expect(() => s.reduceByKeyAndWindow((a, b) => a + b, bad("2000"))).toThrow(TypeError);
    expect(() => s.countByWindow(bad("2000"), 1000)).toThrow(TypeError);
    expect(() => s.checkpoint(bad("1000"))).toThrow(TypeError);
    expect(() => StateSpec.function(() => undefined).timeout(bad("1000"))).toThrow(TypeError);
    expect(() => s.window(0)).toThrow(RangeError);
  });

  it("receivers, rates, counts and ports", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ssc.receiverStream(bad({}))).toThrow(TypeError);
    expect(() => ssc.receiverStream(bad({}))).toThrow(/receiverStream\(receiver\) expects a Receiver: an instance of a class that extends Receiver .*got an object without onStart, onStop, attach/);
    expect(() => ssc.receiverStream(bad(null))).toThrow(/got null/);
    expect(ssc.graph.inputStreams).toHaveLength(0); // nothing half-registered
    expect(() => new TestReceiver({ maxRate: bad("5") })).toThrow(/maxRate must be a number of records per second/);
    expect(() => new TestReceiver({ maxRate: 0 })).toThrow(RangeError);
    expect(() => ssc.socketTextStream("localhost", bad("9999"))).toThrow(/expects a port number; got the string "9999"/);
    const s = ssc.queueStream<number>([]);
    expect(() => s.print(bad("3"))).toThrow(TypeError);
    expect(() => s.repartition(bad("2"))).toThrow(TypeError);
    expect(() => RDD.parallelize([1], bad("2"))).toThrow(TypeError);
    expect(() => RDD.parallelize([1]).take(bad("1"))).toThrow(TypeError);
    const clock = new ManualClock();
    await expect(async () => clock.advance(bad("1000"))).rejects.toThrow(TypeError);
    await expect(async () => ssc.awaitTerminationOrTimeout(bad("10"))).rejects.toThrow(TypeError);
  });
});
