import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'state-diagram.js': 'text/javascript; charset=utf-8',
};

/** The part of the platform's response object used here. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
}

/** The dashboard: static HTML, CSS and vanilla JS (no CDN: the app must work offline). */
@Controller()
export class DashboardController {
  private readonly files = new Map<string, string>();

  constructor() {
    const dir = publicDir();
    for (const name of Object.keys(ASSETS)) this.files.set(name, readFileSync(join(dir, name), 'utf8'));
  }

  @Get()
  @Header('Content-Type', ASSETS['index.html']!)
  @Header('Cache-Control', 'no-cache')
  index(): string {
    return this.files.get('index.html')!;
  }

  @Get('dashboard/:file')
  @Header('Cache-Control', 'no-cache')
  asset(@Param('file') file: string, @Res({ passthrough: true }) response: HttpResponse): string {
    const content = this.files.get(file);
    if (!content || file === 'index.html') throw new NotFoundException(`No dashboard file ${file}`);
    response.setHeader('Content-Type', ASSETS[file]!);
    return content;
  }
}

/** The assets sit next to this file in the sources; the compiled app (dist/) reads them from there too. */
function publicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = here.replace(/([\\/])dist([\\/])apps([\\/])/, '$1apps$3');
  return join(source, 'public');
}
