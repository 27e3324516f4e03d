// `errand work --watch`: watches the directories of the --require files (recursively; Linux has
// recursive fs.watch since Node 20) and asks for a rolling restart once changes stop for a moment
// (an editor's save is several events; a `git checkout` is hundreds). Development only.
// Lifecycle: start() → close(). node_modules, .git and dot-directories are ignored.

import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

const IGNORED = /(^|[/\\])(node_modules|\.git|\.[^/\\]+)([/\\]|$)/;

export class FileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private changed = new Set<string>();

  constructor(private readonly files: readonly string[], private readonly onChange: (files: string[]) => void, private readonly debounceMs = 300) {}

  /** The directories watched, deduplicated (a directory inside another is covered by it). */
  get directories(): string[] {
    const dirs = [...new Set(this.files.map((file) => dirname(resolve(file))))].sort();
    return dirs.filter((dir) => !dirs.some((other) => other !== dir && dir.startsWith(`${other}/`)));
  }

  start(): void {
    for (const dir of this.directories) {
      const watcher = watch(dir, { recursive: true }, (_event, name) => {
        const file = name ? String(name) : '';
        if (file && IGNORED.test(file)) return;
        this.changed.add(resolve(dir, file));
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          const files = [...this.changed];
          this.changed = new Set();
          this.onChange(files);
        }, this.debounceMs);
      });
      watcher.on('error', () => {}); // a deleted directory; the next restart still uses the files
      this.watchers.push(watcher);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
  }
}
