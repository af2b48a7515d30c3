/**
 * The Security Lake writer on AWS (functions/security-lake-writer.ts): its settings,
 * read and checked once at cold start, and one SQS batch in, one
 * ReportBatchItemFailures response out. What it does per message: ./writer.ts.
 *
 * Credentials: the provider role Security Lake created for each custom source
 * (`create-custom-log-source` answers one per source, allowed to write only under
 * `ext/<source>/`), assumed with the external id registered there. The
 * external id guards against a confused deputy and is not a secret (IAM user guide,
 * "Access to AWS accounts owned by third parties"), so it comes from the environment.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigError } from '../errors.ts';
import { OcsfClass } from '../siem/ocsf.ts';
import { sqsDeadLetterSink } from '../siem/forwarder.ts';
import { deadlineFrom } from '../runtime/batch-deadline.ts';
import { envSchema, matching, parseEnv, required, wholeNumber, type Env } from '../runtime/env.ts';
import { createLogger } from '../runtime/powertools.ts';
import { s3PutObject, writeLakeMessages, type LakeWriterDeps, type PutObject } from './writer.ts';

/** S3 bucket names (S3 user guide, "Bucket naming rules"): what may follow arn:aws:s3:::. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** Security Lake custom source names: 1-64 of these (CreateCustomLogSource sourceName). */
const SOURCE_NAME = /^[\w-]{1,64}$/;

/**
 * One put attempt at most: a Parquet object of a full 6 MB batch is a few hundred KB
 * (npm run bench), far inside this; the function's 120 s leave room for three.
 */
export const PUT_TIMEOUT_MS = 10_000;
/** Attempts per object, the first included (S3's own retries sit under each, so a few are enough), and the first backoff (then doubled): 200 ms, 400 ms. */
export const PUT_ATTEMPTS = 3;
export const PUT_BASE_DELAY_MS = 200;

// The values are not echoed: the variable's name and what it must be are enough to fix it.
const roleArn = required(matching(ROLE_ARN, 'an IAM role ARN'));
const sourceName = required(matching(SOURCE_NAME, 'a custom source name'));

/** What the writer reads; every variable is set by serverless.yml on a stage that writes to Security Lake. */
export const LAKE_WRITER_ENV = envSchema({
  AUTHTRAIL_STAGE: required(),
  AUTHTRAIL_SECURITY_LAKE_BUCKET: required(matching(BUCKET_NAME, 'an S3 bucket name')),
  AUTHTRAIL_SECURITY_LAKE_AUTH_ROLE_ARN: roleArn,
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ROLE_ARN: roleArn,
  AUTHTRAIL_SECURITY_LAKE_EXTERNAL_ID: required(),
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ID: required(matching(ACCOUNT_ID, 'a 12-digit AWS account id')),
  AUTHTRAIL_SECURITY_LAKE_AUTH_SOURCE: sourceName,
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_SOURCE: sourceName,
  AUTHTRAIL_SECURITY_LAKE_DLQ_URL: required(),
  // = the queue's redrive maxReceiveCount (serverless.yml): the last receive dead-letters with the reason.
  AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES: wholeNumber({ min: 1, max: Number.MAX_SAFE_INTEGER, what: 'a positive integer' }),
});

export interface LakeWriterSettings {
  stage: string;
  bucket: string;
  /** The provider role of each class's source. */
  roleArns: Readonly<Record<OcsfClass, string>>;
  externalId: string;
  accountId: string;
  sources: Readonly<Record<OcsfClass, string>>;
  dlqUrl: string;
  maxReceives: number;
}

export const lakeWriterSettingsFromEnv = (env: Env): LakeWriterSettings => {
  const settings = parseEnv(LAKE_WRITER_ENV, env);
  return {
    stage: settings.AUTHTRAIL_STAGE,
    bucket: settings.AUTHTRAIL_SECURITY_LAKE_BUCKET,
    roleArns: {
      [OcsfClass.Authentication]: settings.AUTHTRAIL_SECURITY_LAKE_AUTH_ROLE_ARN,
      [OcsfClass.AccountChange]: settings.AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ROLE_ARN,
    },
    externalId: settings.AUTHTRAIL_SECURITY_LAKE_EXTERNAL_ID,
    accountId: settings.AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ID,
    sources: {
      [OcsfClass.Authentication]: settings.AUTHTRAIL_SECURITY_LAKE_AUTH_SOURCE,
      [OcsfClass.AccountChange]: settings.AUTHTRAIL_SECURITY_LAKE_ACCOUNT_SOURCE,
    },
    dlqUrl: settings.AUTHTRAIL_SECURITY_LAKE_DLQ_URL,
    maxReceives: settings.AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES,
  };
};

export interface LakeWriterRuntime {
  logger: Logger;
  handle(event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse>;
}

/** Cold start: a bad setting fails here, naming the variable, before any message is taken. */
export const createLakeWriterRuntime = (env: Env): LakeWriterRuntime => {
  const settings = lakeWriterSettingsFromEnv(env);
  const logger = createLogger(settings.stage);
  // One client per source, each with its own provider role: a role may write only its own source's prefix.
  const putBySource = new Map(
    Object.values(OcsfClass).map((classUid) => {
      const credentials = fromTemporaryCredentials({
        params: { RoleArn: settings.roleArns[classUid], ExternalId: settings.externalId, RoleSessionName: `authtrail-${settings.stage}-security-lake` },
      });
      return [`ext/${settings.sources[classUid]}/`, s3PutObject(new S3Client({ credentials }), settings.bucket)] as const;
    }),
  );
  const put: PutObject = async (key, body, signal) => {
    const putToSource = [...putBySource].find(([prefix]) => key.startsWith(prefix))?.[1];
    if (putToSource === undefined) throw new ConfigError('an object key under no configured custom source');
    await putToSource(key, body, signal);
  };
  const deps: Omit<LakeWriterDeps, 'deadlineAt'> = {
    put,
    target: { sources: settings.sources, accountId: settings.accountId },
    deadLetters: sqsDeadLetterSink(new SQSClient({}), settings.dlqUrl),
    maxAttempts: PUT_ATTEMPTS,
    maxReceives: settings.maxReceives,
    baseDelayMs: PUT_BASE_DELAY_MS,
    putTimeoutMs: PUT_TIMEOUT_MS,
  };
  return {
    logger,
    handle: async (event, context) => {
      const messages = event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
      }));
      // The reserve deadlineFrom keeps back is for the dead letters and the response.
      const result = await writeLakeMessages(messages, { ...deps, deadlineAt: deadlineFrom(context, Date.now()) });
      const { retry, ...counts } = result;
      (retry.length + result.deadLettered > 0 ? logger.warn : logger.info).call(logger, 'authtrail.security-lake.write', {
        messages: messages.length,
        retried: retry.length,
        ...counts,
      });
      return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
    },
  };
};

/** The exported handler: the batch, with Lambda's context in the logs. */
export const lakeWriterHandler = (runtime: LakeWriterRuntime) =>
  middy((event: SQSEvent, context: Context): Promise<SQSBatchResponse> => runtime.handle(event, context)).use(injectLambdaContext(runtime.logger));
