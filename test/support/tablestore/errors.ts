// Errors as the service returns them: an HTTP status and a protobuf Error {code, message} body.

export class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string): OtsError => new OtsError(400, 'OTSParameterInvalid', message);
export const notExist = (): OtsError => new OtsError(404, 'OTSObjectNotExist', 'Requested table does not exist.');
export const authFailed = (message: string): OtsError => new OtsError(403, 'OTSAuthFailed', message);
