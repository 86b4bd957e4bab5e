// Cloudflare's runtime for the tests, and the chatbot's Worker to run in it.
//
// `chatbotWorker` makes the Worker as its developer would: the producer packed from this
// checkout (`npm pack`, aws4fetch inside), installed from that tarball into a fresh copy of the
// Worker project in test/chatbot-worker (offline: nothing comes from a registry), the project
// type-checked with its own settings (the Workers TypeScript template's), and bundled as
// Wrangler bundles it (esbuild, the Workers' conditions).
//
// `Workerd` runs Workers in workerd, the npm package's binary (its platform package, found by
// `require`): a generated config gives each Worker a socket on loopback, its module, its
// settings as text bindings, and an outbound network that reaches loopback and nothing else.
// It is started on free ports, ready once each socket accepts, and stopped by its PID; what the
// Workers log is kept line by line, with when each line arrived.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";

import { build, type Plugin } from "esbuild";

import { ROOT } from "./support.js";

const require = createRequire(import.meta.url);
const PRODUCER = join(ROOT, "producer");

export interface ChatbotWorker {
  /** The producer's tarball, as `npm pack` wrote it. */
  tarball: string;
  /** What the tarball holds, as `npm pack` listed it. */
  packed: string[];
  /** The Worker's project, the producer installed. */
  project: string;
  /** The Worker's bundle. */
  bundle: string;
  /** The same Worker with `logQuery` and `logResponse` doing nothing: the answer without the producer. */
  baseline: string;
}

/** The chatbot's Worker project in `dir`, made as the producer's README says, and bundled. */
export async function chatbotWorker(dir: string): Promise<ChatbotWorker> {
  const [pack] = JSON.parse(
    npm(dir, "pack", PRODUCER, "--json", "--pack-destination", dir),
  ) as { filename: string; files: { path: string }[] }[];
  if (!pack) {
    throw new Error("npm pack wrote no tarball");
  }
  const tarball = join(dir, pack.filename);
  const project = join(dir, "chatbot-worker");
  cpSync(join(PRODUCER, "test", "chatbot-worker"), project, { recursive: true });
  npm(project, "install", "--offline", "--no-audit", "--no-fund", tarball);

  // The project's own types, which a Worker project has from its template: the checkout's
  // pinned copy. Linked after the install, which would otherwise remove what it did not put there.
  const types = join(project, "node_modules", "@cloudflare", "workers-types");
  mkdirSync(dirname(types), { recursive: true });
  symlinkSync(dirname(require.resolve("@cloudflare/workers-types/package.json")), types, "dir");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", project], { encoding: "utf8" });

  const bundle = join(dir, "worker.js");
  const baseline = join(dir, "baseline.js");
  await bundleWorker(project, bundle, []);
  await bundleWorker(project, baseline, [withoutProducer]);
  return { tarball, packed: pack.files.map((f) => f.path), project, bundle, baseline };
}

function npm(cwd: string, ...args: string[]): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The project's Worker bundled as Wrangler bundles it: esbuild, ES modules, the Workers' conditions. */
async function bundleWorker(project: string, outfile: string, plugins: Plugin[]): Promise<void> {
  const result = await build({
    absWorkingDir: project,
    entryPoints: [join(project, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    outfile,
    plugins,
    logLevel: "silent",
  });
  if (result.errors.length > 0) {
    throw new Error(`the Worker does not bundle: ${JSON.stringify(result.errors)}`);
  }
}

/** The producer replaced by two functions that do nothing. */
const withoutProducer: Plugin = {
  name: "without-producer",
  setup(plugin) {
    plugin.onResolve({ filter: /^cv-analytics-producer$/ }, () => ({ path: "stub", namespace: "without-producer" }));
    plugin.onLoad({ filter: /.*/, namespace: "without-producer" }, () => ({
      contents: "export function logQuery() {}\nexport function logResponse() {}\n",
      loader: "js",
    }));
  },
};

/** A Worker to run: its bundle, its settings, and its compatibility date and flags (by default the runtime's newest date, no flag). */
export interface WorkerSpec {
  name: string;
  bundle: string;
  bindings: Record<string, string>;
  compatibilityDate?: string;
  compatibilityFlags?: string[];
}

export interface LogLine {
  /** When the test received it (`performance.now()`). */
  at: number;
  text: string;
}

export class Workerd {
  readonly lines: LogLine[] = [];
  private readonly waiting = new Set<() => void>();
  private exited?: string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly ports: Map<string, number>,
  ) {
    let partial = "";
    const keep = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split("\n");
      partial = complete.pop() ?? "";
      const at = performance.now();
      for (const line of complete) {
        this.lines.push({ at, text: line });
      }
      this.waiting.forEach((wake) => wake());
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => {
      this.exited = `workerd exited (${signal ?? code})`;
      this.waiting.forEach((wake) => wake());
    });
  }

  /** The runtime's version and the compatibility date it is started with (its newest). */
  static readonly version: string = (require("workerd") as { version: string }).version;
  static readonly compatibilityDate: string = (require("workerd") as { compatibilityDate: string }).compatibilityDate;

  /** workerd running `workers` (config and modules written to `dir`), once each socket accepts. */
  static async start(dir: string, workers: WorkerSpec[]): Promise<Workerd> {
    const ports = new Map<string, number>();
    for (const w of workers) {
      ports.set(w.name, await freePort());
      cpSync(w.bundle, join(dir, `${w.name}.js`));
    }
    const config = join(dir, "workerd.capnp");
    writeFileSync(config, capnpConfig(workers, ports));
    const binary = (require("workerd") as { default: string }).default;
    const child = spawn(binary, ["serve", config], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const workerd = new Workerd(child, ports);
    try {
      for (const port of ports.values()) {
        await workerd.accepting(port);
      }
    } catch (error) {
      await workerd.stop();
      throw error;
    }
    return workerd;
  }

  url(name: string): string {
    const port = this.ports.get(name);
    if (port === undefined) {
      throw new Error(`no Worker ${name}`);
    }
    return `http://127.0.0.1:${port}/`;
  }

  /** Waits until `count` lines that `wanted` have been logged, for at most `timeoutMs`; those lines. */
  async waitForLines(wanted: (text: string) => boolean, count: number, timeoutMs: number): Promise<LogLine[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter((l) => wanted(l.text));
      if (found.length >= count || this.exited || performance.now() > deadline) {
        return found;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - performance.now()) + 1);
        this.waiting.add(wake);
      });
    }
  }

  /** Stops workerd by its PID: SIGTERM, then SIGKILL if it has not exited within 2 seconds. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => process.kill(pid, "SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  }

  /** Resolves once `port` accepts a connection; fails if workerd exits or 10 seconds pass. */
  private async accepting(port: number): Promise<void> {
    const deadline = performance.now() + 10_000;
    for (;;) {
      if (this.exited) {
        throw new Error(`${this.exited} before it listened:\n${this.lines.map((l) => l.text).join("\n")}`);
      }
      const accepted = await new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (accepted) {
        return;
      }
      if (performance.now() > deadline) {
        throw new Error(`workerd does not accept on port ${port} after 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * The config: a service per Worker, each with its socket and its settings; their fetch reaches
 * loopback only ("local": 127.0.0.0/8), so that nothing a test runs can leave the machine.
 */
function capnpConfig(workers: WorkerSpec[], ports: Map<string, number>): string {
  const text = (value: string) => {
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw new Error(`not printable ASCII: ${value}`);
    }
    return JSON.stringify(value);
  };
  const services = workers.map((w) => {
    const bindings = Object.entries(w.bindings).map(([name, value]) => `(name = ${text(name)}, text = ${text(value)})`);
    return `    (name = ${text(w.name)}, worker = (
      modules = [(name = "worker.js", esModule = embed ${text(`${w.name}.js`)})],
      compatibilityDate = ${text(w.compatibilityDate ?? Workerd.compatibilityDate)},
      compatibilityFlags = [${(w.compatibilityFlags ?? []).map(text).join(", ")}],
      bindings = [${bindings.join(", ")}],
      globalOutbound = "loopback",
    )),`;
  });
  const sockets = workers.map(
    (w) => `    (name = ${text(w.name)}, address = "127.0.0.1:${ports.get(w.name)}", http = (), service = ${text(w.name)}),`,
  );
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "loopback", network = (allow = ["local"])),
${services.join("\n")}
  ],
  sockets = [
${sockets.join("\n")}
  ],
);
`;
}

/** A loopback port nothing listens on (the system's choice, let go at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  return address.port;
}
