/**
 * Cognito user-pool trigger sources that authtrail handles, grouped by the Lambda
 * function that receives them.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
 */
export const TriggerSource = {
  PreSignUpSignUp: 'PreSignUp_SignUp',
  PreSignUpAdminCreateUser: 'PreSignUp_AdminCreateUser',
  PreSignUpExternalProvider: 'PreSignUp_ExternalProvider',
  PostAuthentication: 'PostAuthentication_Authentication',
  PreAuthentication: 'PreAuthentication_Authentication',
  PostConfirmationConfirmSignUp: 'PostConfirmation_ConfirmSignUp',
  PostConfirmationConfirmForgotPassword: 'PostConfirmation_ConfirmForgotPassword',
  TokenHostedAuth: 'TokenGeneration_HostedAuth',
  TokenAuthentication: 'TokenGeneration_Authentication',
  TokenNewPasswordChallenge: 'TokenGeneration_NewPasswordChallenge',
  TokenAuthenticateDevice: 'TokenGeneration_AuthenticateDevice',
  TokenRefreshTokens: 'TokenGeneration_RefreshTokens',
  TokenClientCredentials: 'TokenGeneration_ClientCredentials',
} as const;
export type TriggerSource = (typeof TriggerSource)[keyof typeof TriggerSource];

export const PRE_SIGN_UP_SOURCES = [
  TriggerSource.PreSignUpSignUp,
  TriggerSource.PreSignUpAdminCreateUser,
  TriggerSource.PreSignUpExternalProvider,
] as const;

export const POST_AUTHENTICATION_SOURCES = [TriggerSource.PostAuthentication] as const;

export const PRE_AUTHENTICATION_SOURCES = [TriggerSource.PreAuthentication] as const;

export const POST_CONFIRMATION_SOURCES = [
  TriggerSource.PostConfirmationConfirmSignUp,
  TriggerSource.PostConfirmationConfirmForgotPassword,
] as const;

export const PRE_TOKEN_GENERATION_SOURCES = [
  TriggerSource.TokenHostedAuth,
  TriggerSource.TokenAuthentication,
  TriggerSource.TokenNewPasswordChallenge,
  TriggerSource.TokenAuthenticateDevice,
  TriggerSource.TokenRefreshTokens,
  TriggerSource.TokenClientCredentials,
] as const;

/** The Lambda functions authtrail deploys, named as in serverless.yml and functions/. */
export const TriggerName = {
  PreSignUp: 'pre-signup',
  PostAuthentication: 'post-authentication',
  PreTokenGeneration: 'pre-token-generation',
  PreAuthentication: 'pre-authentication',
  PostConfirmation: 'post-confirmation',
} as const;
export type TriggerName = (typeof TriggerName)[keyof typeof TriggerName];

const SOURCES_BY_TRIGGER: Record<TriggerName, readonly string[]> = {
  [TriggerName.PreSignUp]: PRE_SIGN_UP_SOURCES,
  [TriggerName.PostAuthentication]: POST_AUTHENTICATION_SOURCES,
  [TriggerName.PreTokenGeneration]: PRE_TOKEN_GENERATION_SOURCES,
  [TriggerName.PreAuthentication]: PRE_AUTHENTICATION_SOURCES,
  [TriggerName.PostConfirmation]: POST_CONFIRMATION_SOURCES,
};

/** Which of our functions handles a trigger source, or undefined when none does. */
export const triggerNameFor = (source: string): TriggerName | undefined =>
  (Object.keys(SOURCES_BY_TRIGGER) as TriggerName[]).find((name) =>
    SOURCES_BY_TRIGGER[name].includes(source),
  );

export const sourcesOf = (name: TriggerName): readonly string[] => SOURCES_BY_TRIGGER[name];

/** Pre token generation event versions, as the user pool's `LambdaVersion` names them. */
export const TokenLambdaVersion = { V1: 'V1_0', V2: 'V2_0', V3: 'V3_0' } as const;
export type TokenLambdaVersion = (typeof TokenLambdaVersion)[keyof typeof TokenLambdaVersion];
