import { errorClass, reasonOf } from "@stadtfluss/errors";
import type { Logger, PipelineMetrics } from "@stadtfluss/telemetry";
import { type DeadLetterInput, deadLetter, deadLetterWithin } from "./dead-letter.ts";
import type { OutgoingRecord } from "./store-records.ts";
import type { Topics } from "./topics.ts";

export interface FailureRecorderOptions {
  /** Names the worker in the dead letter's headers. */
  readonly worker: string;
  readonly topics: Pick<Topics, "deadLetter" | "quarantine">;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** No produce request carries more (KAFKA_MAX_REQUEST_BYTES): the dead letter is cut to fit. */
  readonly maxRequestBytes: number;
}

export interface Failure {
  /** Where processing stopped: admit, decode, validate, enrich, parse, write, produce, ... */
  readonly stage: string;
  readonly error: unknown;
  /** The record as it goes to the dead-letter topic (the bridge drops the payload it could not store). */
  readonly message: DeadLetterInput["message"];
  /** Where the record was read, for one read from Kafka. */
  readonly topic?: string;
  readonly partition?: number;
  /** Set aside to be replayed later (an unregistered device), not refused: the quarantine topic. */
  readonly quarantine?: boolean;
  /** Where a worker says more than "dead letter" (or "quarantined"). */
  readonly log?: FailureLog;
}

/** The level, message and further fields of a failure's log line (stage and reason are always in it). */
export interface FailureLog {
  readonly level: "warn" | "error";
  readonly msg: string;
  readonly fields?: Record<string, unknown>;
}

/** Counts, logs and builds the dead letter of one failure; the caller stores what it returns. */
export type RecordFailure = (failure: Failure) => OutgoingRecord;

/**
 * The one way a worker records a record it cannot process: the failure metric
 * (and the dead-letter metric, unless quarantined), one log line with the stage and
 * the bounded reason, and the dead letter with Kafka Connect's headers, cut to fit
 * a request.
 */
export function createFailureRecorder(options: FailureRecorderOptions): RecordFailure {
  const { worker, topics, logger, metrics, maxRequestBytes } = options;
  return (failure) => {
    const { stage, error, message, topic, partition } = failure;
    const quarantine = failure.quarantine === true;
    metrics.messagesFailed.inc({ stage, error_class: errorClass(error) });
    if (!quarantine) metrics.deadLetters.inc({ stage });
    const where = {
      ...(message.offset === undefined ? {} : { offset: message.offset }),
      ...(partition === undefined ? {} : { partition }),
    };
    const log = failure.log ?? { level: "warn", msg: quarantine ? "quarantined" : "dead letter" };
    logger[log.level]({ stage, reason: reasonOf(error), ...where, ...log.fields }, log.msg);
    // Quarantine carries the dead-letter headers too, so the same tools show why a record waits.
    const letter = deadLetter({
      worker,
      stage,
      error,
      message,
      ...(topic === undefined ? {} : { topic }),
      ...(partition === undefined ? {} : { partition }),
    });
    return {
      topic: quarantine ? topics.quarantine : topics.deadLetter,
      message: deadLetterWithin(letter, maxRequestBytes),
    };
  };
}

/**
 * Reports a produce that goes again while Kafka is unavailable: the retry metric
 * every time, a log line on the first attempt and every tenth.
 */
export function kafkaRetryReporter(
  logger: Logger,
  metrics: PipelineMetrics,
): (error: unknown, attempt: number) => void {
  return (error, attempt) => {
    metrics.retries.inc({ sink: "kafka" });
    if (attempt === 1 || attempt % 10 === 0)
      logger.warn({ reason: reasonOf(error), attempt }, "Kafka unavailable, sending again");
  };
}
