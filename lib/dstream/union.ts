import { RDD } from "../rdd/rdd.js";
import { TransformedDStream, type DStream } from "./internal.js";

/** The records of several streams, batch by batch. A parent with no RDD for a time is an error. */
export class UnionDStream<T> extends TransformedDStream<T> {
  constructor(parents: readonly DStream<T>[]) {
    super(parents, (rdds) => RDD.union(rdds as RDD<T>[]), "union");
  }
}
