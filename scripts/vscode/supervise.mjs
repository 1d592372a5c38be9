// Leads a process group for code-server: runs the command given after `--` in the group, and kills the whole
// group (extension host included) as soon as the harness process that started it is gone, even when that one
// was killed with SIGKILL and could not clean up.
// Usage (by server.mjs, spawned detached): node supervise.mjs <harness pid> -- <command> [args...]
import { spawn } from 'node:child_process';

const POLL_MS = 1000;
const [harnessPid, separator, command, ...args] = process.argv.slice(2);
if (separator !== '--' || !command) {
  console.error('usage: node supervise.mjs <harness pid> -- <command> [args...]');
  process.exit(2);
}

function killGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // already gone
  }
}

function harnessAlive() {
  try {
    process.kill(Number(harnessPid), 0);
    return true;
  } catch {
    return false;
  }
}

const child = spawn(command, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  killGroup('SIGKILL');
  process.exit(code ?? (signal ? 1 : 0));
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    child.kill(signal);
    setTimeout(() => killGroup('SIGKILL'), 3000).unref();
  });
}
// Unref'd: the running child keeps this process alive, the poll alone never does.
setInterval(() => {
  if (!harnessAlive()) killGroup('SIGKILL');
}, POLL_MS).unref();
