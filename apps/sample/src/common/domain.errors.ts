/** Base of the sample's own errors; the HTTP layer maps the two kinds below to 404 and 409. */
export abstract class SampleError extends Error {
  override name = this.constructor.name;
}

/** Something the request names does not exist (HTTP 404). */
export class NotFoundError extends SampleError {}

/** The request contradicts the current state (HTTP 409). */
export class ConflictError extends SampleError {}
