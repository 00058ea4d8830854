/**
 * Bounded admission for work that must run one at a time (preparing a parameter update may await
 * a generator being built). Instead of one promise chained per message — a burst of N updates was
 * N queued operations — inputs join an open batch; a batch runs once, as one operation, after the
 * one running before it. So at any time at most one batch runs and at most one waits, whatever
 * the burst; the runner decides how a batch combines (parameters: merged in order, latest wins).
 */

interface Entry<In, Out> {
  readonly input: In;
  readonly resolve: (out: Out) => void;
  readonly reject: (err: unknown) => void;
}

export type BatchRunner<In, Out> = (inputs: readonly In[]) => Promise<readonly Out[]>;

export class LatestWinsBatches<In, Out> {
  readonly #run: BatchRunner<In, Out>;
  #open?: Entry<In, Out>[];
  #running = false;
  #settled: Promise<void> = Promise.resolve();

  /** `run` gets a batch's inputs in arrival order and returns one output per input, in that order. */
  constructor(run: BatchRunner<In, Out>) {
    this.#run = run;
  }

  /** Adds `input` to the open batch (opening one if none); resolves with its own output. */
  submit(input: In): Promise<Out> {
    let batch = this.#open;
    if (!batch) {
      const opened: Entry<In, Out>[] = [];
      this.#open = batch = opened;
      // Starts after the batch before it has settled; everything submitted until then joins it.
      this.#settled = this.#settled.then(() => this.#start(opened));
    }
    const entries = batch;
    return new Promise<Out>((resolve, reject) => entries.push({ input, resolve, reject }));
  }

  /** Batches running or waiting to run: never more than 2. */
  get pendingBatches(): number {
    return (this.#running ? 1 : 0) + (this.#open ? 1 : 0);
  }

  /** Inputs in the batch waiting to run. */
  get waitingInputs(): number {
    return this.#open?.length ?? 0;
  }

  /** Resolves once every batch submitted so far has run. */
  settled(): Promise<void> {
    return this.#settled;
  }

  async #start(entries: Entry<In, Out>[]): Promise<void> {
    if (this.#open === entries) this.#open = undefined;
    this.#running = true;
    try {
      const outs = await this.#run(entries.map((e) => e.input));
      if (outs.length !== entries.length) throw new Error(`batch runner returned ${outs.length} results for ${entries.length} inputs`);
      entries.forEach((e, i) => e.resolve(outs[i]));
    } catch (err) {
      for (const e of entries) e.reject(err);
    } finally {
      this.#running = false;
    }
  }
}
