/**
 * One page of a paged LIST in flight, and the page after it, asked for as soon as this one's
 * `continue` token shows.
 *
 * client-go's pager waits for a whole page before it asks for the next. The token is in the
 * first bytes of the answer (the client's `onMetadata`), so asking right then lets the server
 * build page n+1 while this process reads and parses page n: on two cores the two halves
 * overlap instead of taking turns. At most one page is ahead; a list function that never calls
 * `onMetadata` gets client-go's one-at-a-time behaviour.
 */
import type { ListOptions, ObjectList } from './types.js';

export type ListFunc<T> = (opts: ListOptions) => Promise<ObjectList<T>>;

/** What PageRequest needs of a page: its continue token. */
export interface PageLike {
  metadata: { continue?: string };
}

export class PageRequest<P extends PageLike> {
  readonly page: Promise<P>;
  private ahead: PageRequest<P> | undefined;
  /** The token this page's head showed, kept until this page is the one being read. */
  private shownToken: string | undefined;
  /** Whether the reflector is reading this page (only then may it ask for the next). */
  private current: boolean;

  /**
   * `base`: the first page's options (selectors, resourceVersion, limit, signal). Later pages
   * carry only selectors, limit and `continue`, which pins the first page's resourceVersion.
   */
  constructor(
    private readonly list: (opts: ListOptions) => Promise<P>,
    private readonly base: ListOptions,
    readonly continueToken: string | undefined = undefined,
    current = true,
  ) {
    this.current = current;
    const onMetadata = (m: { continue?: string }): void => this.shown(m.continue);
    this.page = list(
      continueToken
        ? { labelSelector: base.labelSelector, fieldSelector: base.fieldSelector, limit: base.limit, signal: base.signal, continue: continueToken, onMetadata }
        : { ...base, onMetadata },
    );
    // Whoever awaits `page` sees its failure; this only keeps a page that is never awaited (the
    // list failed earlier and moved on) from being an unhandled rejection.
    this.page.catch(() => undefined);
  }

  /** The request for the page after this one (`continueToken` from this page's answer); it becomes the current one. */
  next(continueToken: string): PageRequest<P> {
    const next = this.ahead?.continueToken === continueToken ? this.ahead : new PageRequest(this.list, this.base, continueToken);
    next.becomeCurrent();
    return next;
  }

  private shown(token: string | undefined): void {
    this.shownToken = token;
    if (this.current) this.askAhead();
  }

  private becomeCurrent(): void {
    this.current = true;
    this.askAhead();
  }

  private askAhead(): void {
    if (this.shownToken && !this.ahead && !this.base.signal?.aborted) this.ahead = new PageRequest(this.list, this.base, this.shownToken, false);
  }
}
