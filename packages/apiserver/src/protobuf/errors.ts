/**
 * A Kubernetes protobuf body this server cannot turn into JSON. The message names what and
 * where, and ends with the fix (send the object as application/json).
 *
 * `unsupported` tells the caller which answer fits: true when the body is well-formed but uses
 * something this server does not know (a kind, a field, a content encoding) — 415
 * UnsupportedMediaType; false when the bytes themselves are broken — 400 BadRequest.
 */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';

  constructor(message: string, readonly unsupported: boolean) {
    super(message);
  }
}
