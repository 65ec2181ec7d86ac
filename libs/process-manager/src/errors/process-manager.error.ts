/** Base class of every error the library raises; `name` is the subclass name. */
export class ProcessManagerError extends Error {
  override name = this.constructor.name;
}
