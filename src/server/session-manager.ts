/** Keeps the live sessions apart, enforces the session limit, and frees a session when it ends. */
import type { GeneratorRegistry } from '../stream/generators.ts';
import type { SessionParamsPatch } from '../stream/params.ts';
import type { ControlSource } from '../stream/session-pipeline.ts';
import { LiveSession, type SessionKind } from './live-session.ts';

export class SessionLimitError extends Error {
  constructor(limit: number) {
    super(`the server already runs ${limit} sessions, its limit; end one first`);
    this.name = 'SessionLimitError';
  }
}

export class InvalidSessionParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSessionParamsError';
  }
}

export interface SessionManagerOptions {
  readonly controls: ControlSource;
  readonly generators: GeneratorRegistry;
  readonly maxSessions?: number;
  readonly log?: (msg: string) => void;
}

export interface CreateSessionOptions {
  readonly kind: SessionKind;
  readonly offerSdp: string;
  readonly width?: number;
  readonly height?: number;
  readonly params?: SessionParamsPatch;
}

export class SessionManager {
  readonly #opts: SessionManagerOptions;
  readonly #sessions = new Map<string, LiveSession>();

  constructor(opts: SessionManagerOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): LiveSession | undefined {
    return this.#sessions.get(id);
  }

  list(): LiveSession[] {
    return [...this.#sessions.values()];
  }

  /** Creates a session and answers its offer; a failed answer frees the session again. */
  async create(o: CreateSessionOptions): Promise<{ session: LiveSession; answer: string }> {
    const limit = this.#opts.maxSessions ?? 8;
    if (this.#sessions.size >= limit) throw new SessionLimitError(limit);
    // Sessions start in preview; generate mode is switched on like any update, so a missing
    // model is reported the same way everywhere.
    const { mode, ...initial } = o.params ?? {};
    const session = new LiveSession({
      kind: o.kind,
      width: o.width ?? 640,
      height: o.height ?? 360,
      controls: this.#opts.controls,
      generators: this.#opts.generators,
      initialParams: initial,
      log: this.#opts.log,
    });
    this.#sessions.set(session.id, session);
    session.onClosed(() => this.#sessions.delete(session.id));
    try {
      if (mode === 'generate') {
        const r = await session.updateParams({ mode });
        if (!r.ok) throw new InvalidSessionParamsError(r.error);
      }
      const answer = await session.answer(o.offerSdp);
      return { session, answer };
    } catch (err) {
      await session.close('the offer could not be answered');
      throw err;
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.close('server shutting down')));
  }
}
