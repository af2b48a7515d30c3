/** The Lambda context object the runtime hands a handler, for the child processes that start packaged functions. */
/** `remainingMs` counts down from the function's timeout where the caller knows when the invocation started. */
export const lambdaContext = (functionName: string, remainingMs: () => number = () => 5_000) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: '7f1c2d3e-0000-4000-8000-000000000001',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/11/27/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export const errorOf = (error: unknown) =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'NonError', message: String(error) };
