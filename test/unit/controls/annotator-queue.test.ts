import { describe, expect, it } from 'vitest';
import { AnnotatorChunkQueue } from '../../../controls/annotator-queue.ts';

/** A chunk job that finishes when the test says so. */
function gate<T>(value: T) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, job: async () => (await opened, value) };
}

describe('AnnotatorChunkQueue', () => {
  it('runs chunks one at a time in call order', async () => {
    const q = new AnnotatorChunkQueue('depth', 3);
    const log: string[] = [];
    const a = gate('a');
    const first = q.run(async () => (log.push('a start'), await a.job(), log.push('a end'), 'a'));
    const second = q.run(async () => (log.push('b start'), 'b'));
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    a.open();
    await expect(Promise.all([first, second])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('rejects a chunk beyond the limit with a clear error, and takes one again once a chunk finished', async () => {
    const q = new AnnotatorChunkQueue('depth', 2);
    const a = gate(1);
    const b = gate(2);
    const held = [q.run(a.job), q.run(b.job)];
    expect(q.size).toBe(2);
    await expect(q.run(async () => 3)).rejects.toThrow('depth control: 2 chunks are already queued; wait for one before sending the next');
    a.open();
    await held[0];
    const c = q.run(async () => 3);
    b.open();
    await expect(Promise.all([held[1], c])).resolves.toEqual([2, 3]);
    expect(q.size).toBe(0);
  });

  it('a failed chunk rejects only itself', async () => {
    const q = new AnnotatorChunkQueue('scribble', 2);
    const failed = q.run(async () => {
      throw new Error('bad frame size');
    });
    const next = q.run(async () => 'ok');
    await expect(failed).rejects.toThrow('bad frame size');
    await expect(next).resolves.toBe('ok');
  });

  it('idle() waits for the chunks queued so far', async () => {
    const q = new AnnotatorChunkQueue('depth', 2);
    const a = gate('a');
    const running = q.run(a.job);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    a.open();
    await running;
    await waiting;
    expect(idle).toBe(true);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new AnnotatorChunkQueue('depth', 0)).toThrow('depth control: the chunk queue limit must be a positive integer, got 0');
  });
});
