/**
 * `.ci/run --dry-run` against fake system roots (CI_ROOT): which Debian releases get the
 * bookworm-backports suite and Mesa's lavapipe, that a good lavapipe is left alone, and that other
 * systems get a clear message instead of an install. Nothing is installed; the real dpkg-query reads
 * each fake root's dpkg database.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../../.ci/run');
const base = mkdtempSync(join(tmpdir(), 'vace-ci-run-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

beforeAll(() => {
  if (spawnSync('dpkg-query', ['--version']).status !== 0) throw new Error('these tests read fake dpkg databases with dpkg-query (Debian/Ubuntu); it is not on PATH');
});

const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const NOBLE = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nVERSION_CODENAME=noble\n';
const BACKPORTS_LIST = 'deb http://deb.debian.org/debian bookworm-backports main\n';

interface FakeSystem {
  osRelease: string;
  /** File name under etc/apt/sources.list.d → contents. */
  sources?: Record<string, string>;
  lavapipeIcd?: boolean;
  /** Installed mesa-vulkan-drivers version in the dpkg database (absent: not installed). */
  mesaVersion?: string;
}

let roots = 0;
function fakeRoot(s: FakeSystem): string {
  const root = join(base, `root${roots++}`);
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(root, 'usr/share/vulkan/icd.d'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), s.osRelease);
  for (const [name, text] of Object.entries(s.sources ?? {})) writeFileSync(join(root, 'etc/apt/sources.list.d', name), text);
  if (s.lavapipeIcd) writeFileSync(join(root, 'usr/share/vulkan/icd.d/lvp_icd.x86_64.json'), '{"ICD":{"library_path":"libvulkan_lvp.so"}}');
  const status = s.mesaVersion
    ? `Package: mesa-vulkan-drivers\nStatus: install ok installed\nMaintainer: Debian X Strike Force\nArchitecture: amd64\nVersion: ${s.mesaVersion}\nDescription: Mesa Vulkan graphics drivers\n\n`
    : '';
  writeFileSync(join(root, 'var/lib/dpkg/status'), status);
  return root;
}

function dryRun(root: string, env: Record<string, string | undefined> = { XDG_RUNTIME_DIR: '/run/user/1000' }, args = ['--dry-run']) {
  const r = spawnSync('bash', [SCRIPT, ...args], { env: { ...process.env, XDG_RUNTIME_DIR: undefined, ...env, CI_ROOT: root }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, all: r.stdout + r.stderr };
}

const MESA_INSTALL = /would run: .*apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1/;
const WRITES_BACKPORTS = /would write .*etc\/apt\/sources\.list\.d\/backports\.sources:\nTypes: deb\nURIs: http:\/\/deb\.debian\.org\/debian\nSuites: bookworm-backports\n/;

describe('.ci/run --dry-run', () => {
  it('Debian 12 with lavapipe from Mesa 25: installs no Mesa and adds no apt source', () => {
    const r = dryRun(fakeRoot({ osRelease: BOOKWORM, sources: { 'backports.list': BACKPORTS_LIST }, lavapipeIcd: true, mesaVersion: '25.0.7-2~bpo12+1' }));
    expect(r.code).toBe(0);
    expect(r.all).toContain('lavapipe: mesa-vulkan-drivers 25.0.7-2~bpo12+1 (ok)');
    expect(r.all).not.toMatch(/mesa-vulkan-drivers libvulkan1|would write/);
    expect(r.out).toMatch(/would run: npm ci\n.*would run: npm test\n$/);
  });

  it('Debian 12 without lavapipe or backports: adds the suite (deb822), updates, installs lavapipe from it', () => {
    const r = dryRun(fakeRoot({ osRelease: BOOKWORM }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(WRITES_BACKPORTS);
    expect(r.out).toMatch(/would run: .*apt-get update -qq/);
    expect(r.out).toContain('no lavapipe Vulkan driver');
    expect(r.out).toMatch(MESA_INSTALL);
    // The suite is written before apt-get update reads it, and the install comes after both.
    const order = ['would write', 'apt-get update', 'mesa-vulkan-drivers libvulkan1'].map((s) => r.out.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("Debian 12's own Mesa 22.3 is too old: reinstalls from backports, using the suite already configured", () => {
    const r = dryRun(fakeRoot({ osRelease: BOOKWORM, sources: { 'backports.sources': 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n' }, lavapipeIcd: true, mesaVersion: '22.3.6-1+deb12u2' }));
    expect(r.code).toBe(0);
    expect(r.out).toContain('mesa-vulkan-drivers 22.3.6-1+deb12u2 is too old');
    expect(r.out).toMatch(MESA_INSTALL);
    expect(r.out).not.toContain('would write');
  });

  it('a commented-out backports line does not count as the suite', () => {
    const r = dryRun(fakeRoot({ osRelease: BOOKWORM, sources: { 'old.list': `# ${BACKPORTS_LIST}` } }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(WRITES_BACKPORTS);
  });

  it('another system without lavapipe: a clear message and exit 1, nothing installed', () => {
    const r = dryRun(fakeRoot({ osRelease: NOBLE }));
    expect(r.code).toBe(1);
    expect(r.err).toContain('no lavapipe Vulkan driver');
    expect(r.err).toContain("only on Debian 12 (bookworm); this is 'Ubuntu 24.04 LTS'");
    expect(r.err).toMatch(/Mesa >= 25/);
    expect(r.out).not.toMatch(/apt-get|npm/);
  });

  it('another system whose lavapipe is new enough runs the tests', () => {
    const r = dryRun(fakeRoot({ osRelease: NOBLE, lavapipeIcd: true, mesaVersion: '25.2.1-0ubuntu1' }));
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(MESA_INSTALL);
    expect(r.out).toContain('would run: npm test');
  });

  it('sets XDG_RUNTIME_DIR only when it is unset', () => {
    const root = fakeRoot({ osRelease: BOOKWORM, lavapipeIcd: true, mesaVersion: '25.0.7-2~bpo12+1' });
    expect(dryRun(root, {}).out).toMatch(/XDG_RUNTIME_DIR was unset: using \/\S+\/xdg-runtime-\d+\n.*would run: mkdir -p -m 700 /);
    expect(dryRun(root).out).not.toContain('XDG_RUNTIME_DIR');
  });

  it('refuses CI_ROOT without --dry-run, and unknown options', () => {
    const root = fakeRoot({ osRelease: BOOKWORM });
    const real = dryRun(root, {}, []);
    expect(real.code).toBe(2);
    expect(real.err).toContain('CI_ROOT is only for --dry-run');
    const bad = dryRun(root, {}, ['--fast']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown option '--fast'");
  });
});
