import type { DStream } from "../../dstream/internal.js";
import { KEY_HEADER } from "../../sources/jetstream/jetstream-options.js";
import { encodePayload } from "../../sources/message-codec.js";
import { onContextStop, registerSink } from "../sink-output.js";
import { JetStreamBatchPublisher, type OutgoingMessage } from "./jetstream-publisher.js";
import { resolveJetStreamSinkOptions, type JetStreamSinkOptions } from "./jetstream-sink-options.js";

/** Registers `saveToJetStream` on `stream`: exactly-once through deterministic message ids. */
export function saveToJetStream<T>(stream: DStream<T>, options: JetStreamSinkOptions<T>): void {
  const o = resolveJetStreamSinkOptions(options);
  const publisher = new JetStreamBatchPublisher(o.servers, o.recoveryWindow, typeof options.subject === "string" ? options.subject : undefined);
  const description = `saveToJetStream(${typeof options.subject === "string" ? options.subject : "subject(record)"})`;
  registerSink(stream, "saveToJetStream", description, options.name, async (rdd, time, sinkId, jobId) => {
    const messages: OutgoingMessage[] = [];
    rdd.forEachRecord((r) => {
      const m: OutgoingMessage = { subject: o.subjectOf(r), data: encodePayload(r, o.codec) };
      if (o.keyOf !== undefined) m.headers = { [KEY_HEADER]: o.keyOf(r) };
      messages.push(m);
    });
    await publisher.publish(sinkId, time, stream.ssc.clock.now(), messages, jobId);
  });
  onContextStop(stream, () => publisher.close());
}
