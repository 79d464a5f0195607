/** A model's outputs (or config) do not have a layout riverwatch knows how to read. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}
