import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './server';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
const READY_TIMEOUT_MS = 30_000;

/** A port nobody listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface InstanceOptions {
  /** The URL the instance tells the world (PUBLIC_URL); by default its own address. */
  publicUrl?: string;
  /** Settings on top of the defaults below, as environment variables. */
  env?: Record<string, string>;
}

/**
 * Paygrid as an operator runs it, `node dist/src/main.js`, in a child process on its own port and
 * database (SQLite file, or a PostgreSQL database when the suite runs with DATABASE_URL), so that a
 * test can kill it with SIGKILL mid-work and start it again on the same database and port.
 */
export class InstanceProcess {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly port: number,
    readonly database: TestDatabase,
    readonly publicUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: InstanceOptions = {}): Promise<InstanceProcess> {
    const port = await freePort();
    const database = await createTestDatabase();
    const instance = new InstanceProcess(port, database, options.publicUrl ?? `http://127.0.0.1:${port}`, options.env ?? {});
    await instance.run();
    return instance;
  }

  /** Where the process itself listens (not through any proxy). */
  get directUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it printed, for a failing test's message. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** Starts the process (again, after a kill: same port, same database) and waits until it answers. */
  async run(): Promise<void> {
    if (this.running) throw new Error('the instance is already running');
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PUBLIC_URL: this.publicUrl,
        DATABASE_URL: this.database.url,
        DEMO_DATA: 'true',
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        LOG_LEVEL: 'warn',
        SCHEDULER_POLL_MS: '200',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.running) throw new Error(`the instance exited while starting:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.directUrl}/.well-known/pay`);
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`the instance did not answer within ${READY_TIMEOUT_MS} ms:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGKILL: no shutdown hook runs, whatever was under way stops where it was. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the process and drops its database. */
  async destroy(): Promise<void> {
    await this.kill();
    await this.database.drop();
  }
}
