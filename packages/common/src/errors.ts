/** A configuration value is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A backing service (Redis, S3, inference) cannot be reached. */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
}

/** Input that can never succeed however often it is retried (corrupt frame, bad image). */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}
