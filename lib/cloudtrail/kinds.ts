/**
 * What each CloudTrail event name of a user pool means as an AuthEvent: one
 * object per event name, in one table. An event name missing here has no
 * mapping: the record is counted as ignored, never an error.
 *
 * The list of names is also what the stack's rule on the default bus matches
 * (event-names.json, read by serverless.yml; a test keeps the two equal), so
 * read-only calls (ListUsers, DescribeUserPool...) never invoke the function.
 */
import { Action, Category, Outcome, type AuthEvent } from '../auth-event/schema.ts';
import { memberOf, numberOf, textAt, type CloudTrailRecord } from './record.ts';
import { reasonOfError, reasonOfStatus, type Reason } from './reasons.ts';

export interface Mapped {
  category: AuthEvent['category'];
  action: AuthEvent['action'];
  outcome: AuthEvent['outcome'];
  reason?: Reason;
  /** A trigger emits its own event for this occurrence (docs/auth-event.md, "CloudTrail events"). */
  countedByTrigger: boolean;
  /** The sign-in went through a federated provider (SAML assertion posted to the endpoint). */
  federated?: 'SAML';
}

type Kind = (record: CloudTrailRecord) => Mapped | undefined;

/** Challenge names that carry an MFA or one-time code (RespondToAuthChallenge). */
const MFA_CHALLENGES = new Set(['SMS_MFA', 'SOFTWARE_TOKEN_MFA', 'EMAIL_OTP', 'SMS_OTP', 'MFA_SETUP', 'SELECT_MFA_TYPE', 'WEB_AUTHN']);

const REFRESH_FLOWS = new Set(['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN']);

/** The API's error, if the call failed. */
const errorOf = (record: CloudTrailRecord): Reason | undefined => reasonOfError(record.errorCode, record.errorMessage);

/** The endpoint's HTTP status (`additionalEventData.responseParameters.status`). */
const statusOf = (record: CloudTrailRecord): number | undefined =>
  numberOf(memberOf(memberOf(record.additionalEventData, 'responseParameters'), 'status'));

/** An API call whose success or failure is the whole story: succeeded, or failed with the API's error. */
const apiCall =
  (category: AuthEvent['category'], action: AuthEvent['action'], success: AuthEvent['outcome'] = Outcome.Succeeded, triggerSeesSuccess = false): Kind =>
  (record) => {
    const reason = errorOf(record);
    if (reason !== undefined) {
      const denied = category === Category.SignUp;
      return { category, action, outcome: denied ? Outcome.Denied : Outcome.Failed, reason, countedByTrigger: reason.code === 'TRIGGER_DENIED' };
    }
    return { category, action, outcome: success, countedByTrigger: triggerSeesSuccess };
  };

/**
 * A hosted UI / managed login endpoint: an error code or a 4xx/5xx status is a
 * failure; a redirect (3xx) is the step done; a 200 shows a page (the form
 * again), which decides nothing on its own.
 */
const endpoint =
  (category: AuthEvent['category'], action: AuthEvent['action'], success: AuthEvent['outcome'] = Outcome.Succeeded, triggerSeesSuccess = false): Kind =>
  (record) => {
    const reason = errorOf(record);
    const status = statusOf(record);
    const failure = reason ?? (status !== undefined && status >= 400 ? reasonOfStatus(status) : undefined);
    if (failure !== undefined) {
      return { category, action, outcome: category === Category.SignUp ? Outcome.Denied : Outcome.Failed, reason: failure, countedByTrigger: false };
    }
    if (status !== undefined && status >= 300) return { category, action, outcome: success, countedByTrigger: triggerSeesSuccess };
    return { category, action, outcome: Outcome.Attempted, countedByTrigger: false };
  };

/** A step of a sign-in: failed, answered with a further challenge (attempted), or done. */
const signInStep = (record: CloudTrailRecord, action: AuthEvent['action']): Mapped => {
  const reason = errorOf(record);
  if (reason !== undefined) return { category: Category.SignIn, action, outcome: Outcome.Failed, reason, countedByTrigger: false };
  if (textAt(record.responseElements, 'challengeName') !== undefined) {
    return { category: Category.SignIn, action, outcome: Outcome.Attempted, countedByTrigger: false };
  }
  // A completed sign-in is what post authentication reports; an MFA step is not a sign-in of its own.
  return { category: Category.SignIn, action, outcome: Outcome.Succeeded, countedByTrigger: action === Action.Authenticate };
};

const initiateAuth: Kind = (record) => {
  const flow = textAt(record.requestParameters, 'authFlow');
  if (flow !== undefined && REFRESH_FLOWS.has(flow)) {
    const reason = errorOf(record);
    return reason === undefined
      ? { category: Category.Token, action: Action.Refresh, outcome: Outcome.Issued, countedByTrigger: true }
      : { category: Category.Token, action: Action.Refresh, outcome: Outcome.Failed, reason, countedByTrigger: false };
  }
  return signInStep(record, Action.Authenticate);
};

const respondToChallenge: Kind = (record) => {
  const challenge = textAt(record.requestParameters, 'challengeName');
  return signInStep(record, challenge !== undefined && MFA_CHALLENGES.has(challenge) ? Action.Mfa : Action.Authenticate);
};

/** Token_POST: the grant type says which token event a trigger (pre token generation) also reports. */
const tokenEndpoint: Kind = (record) => {
  const grant = textAt(record.additionalEventData, 'requestParameters', 'grant_type');
  const action =
    grant === 'refresh_token' ? Action.Refresh : grant === 'client_credentials' ? Action.ClientCredentials : Action.Issue;
  const mapped = endpoint(Category.Token, action, Outcome.Issued, true)(record);
  // The token endpoint answers 200 with the tokens: a success, not a page.
  if (mapped?.outcome === Outcome.Attempted && statusOf(record) === 200) return { ...mapped, outcome: Outcome.Issued, countedByTrigger: true };
  return mapped;
};

const samlResponse: Kind = (record) => {
  const mapped = endpoint(Category.SignIn, Action.Authenticate, Outcome.Succeeded, true)(record);
  return mapped === undefined ? undefined : { ...mapped, federated: 'SAML' };
};

const S = Category.SignIn;
const U = Category.SignUp;
const T = Category.Token;
const A = Category.Account;

/** Event name -> mapping. API calls first, then the hosted UI / managed login endpoints. */
export const KINDS: Readonly<Record<string, Kind>> = {
  // sign-in
  InitiateAuth: initiateAuth,
  AdminInitiateAuth: initiateAuth,
  RespondToAuthChallenge: respondToChallenge,
  AdminRespondToAuthChallenge: respondToChallenge,
  GlobalSignOut: apiCall(S, Action.SignOut),
  AdminUserGlobalSignOut: apiCall(S, Action.SignOut),
  RevokeToken: apiCall(T, Action.Revoke),
  // sign-up and confirmation
  SignUp: apiCall(U, Action.SelfSignUp, Outcome.Allowed, true),
  AdminCreateUser: apiCall(U, Action.AdminCreateUser, Outcome.Allowed, true),
  ConfirmSignUp: apiCall(A, Action.ConfirmSignUp, Outcome.Succeeded, true),
  AdminConfirmSignUp: apiCall(A, Action.ConfirmSignUp, Outcome.Succeeded, true),
  // passwords
  ForgotPassword: apiCall(A, Action.PasswordResetRequest),
  AdminResetUserPassword: apiCall(A, Action.PasswordResetRequest),
  ConfirmForgotPassword: apiCall(A, Action.PasswordReset, Outcome.Succeeded, true),
  ChangePassword: apiCall(A, Action.PasswordChange),
  AdminSetUserPassword: apiCall(A, Action.PasswordSet),
  // account changes an administrator (or the user) makes
  AdminDisableUser: apiCall(A, Action.UserDisable),
  AdminEnableUser: apiCall(A, Action.UserEnable),
  AdminDeleteUser: apiCall(A, Action.UserDelete),
  DeleteUser: apiCall(A, Action.UserDelete),
  AdminAddUserToGroup: apiCall(A, Action.GroupAdd),
  AdminRemoveUserFromGroup: apiCall(A, Action.GroupRemove),
  AdminUpdateUserAttributes: apiCall(A, Action.AttributesUpdate),
  AdminDeleteUserAttributes: apiCall(A, Action.AttributesUpdate),
  UpdateUserAttributes: apiCall(A, Action.AttributesUpdate),
  DeleteUserAttributes: apiCall(A, Action.AttributesUpdate),
  AdminSetUserMFAPreference: apiCall(A, Action.MfaSettings),
  SetUserMFAPreference: apiCall(A, Action.MfaSettings),
  AdminSetUserSettings: apiCall(A, Action.MfaSettings),
  CreateUserPoolClient: apiCall(A, Action.ClientChange),
  UpdateUserPoolClient: apiCall(A, Action.ClientChange),
  DeleteUserPoolClient: apiCall(A, Action.ClientChange),
  UpdateUserPool: apiCall(A, Action.PoolChange),
  DeleteUserPool: apiCall(A, Action.PoolChange),
  SetUserPoolMfaConfig: apiCall(A, Action.PoolChange),
  SetRiskConfiguration: apiCall(A, Action.PoolChange),
  SetLogDeliveryConfiguration: apiCall(A, Action.PoolChange),
  CreateIdentityProvider: apiCall(A, Action.PoolChange),
  UpdateIdentityProvider: apiCall(A, Action.PoolChange),
  DeleteIdentityProvider: apiCall(A, Action.PoolChange),
  // hosted UI / managed login endpoints (AwsServiceEvent)
  Login_POST: endpoint(S, Action.Authenticate, Outcome.Succeeded, true),
  login_POST: endpoint(S, Action.Authenticate, Outcome.Succeeded, true),
  mfa_POST: endpoint(S, Action.Mfa),
  mfa_totp_POST: endpoint(S, Action.Mfa),
  mfa_sms_POST: endpoint(S, Action.Mfa),
  SAML2Response_POST: samlResponse,
  Signup_POST: endpoint(U, Action.SelfSignUp, Outcome.Allowed, true),
  Confirm_POST: endpoint(A, Action.ConfirmSignUp, Outcome.Succeeded, true),
  ForgotPassword_POST: endpoint(A, Action.PasswordResetRequest),
  ConfirmForgotPassword_POST: endpoint(A, Action.PasswordReset, Outcome.Succeeded, true),
  Logout_GET: endpoint(S, Action.SignOut),
  Revoke_POST: endpoint(T, Action.Revoke),
  Token_POST: tokenEndpoint,
};

/** The mapping of a record, or undefined when its event name has none. */
export const kindOf = (eventName: string): Kind | undefined => (Object.hasOwn(KINDS, eventName) ? KINDS[eventName] : undefined);
