import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, NotFoundException, Param, Redirect, Req, Res } from '@nestjs/common';

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'demo.css': 'text/css; charset=utf-8',
  'demo.js': 'text/javascript; charset=utf-8',
};

/** The part of the platform's response object used here. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
  send(body: string): void;
}
interface HttpRequest {
  originalUrl: string;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'";

/** `/` leads to the operations dashboard; `/demo/` is the sample's panel that starts demo processes. */
@Controller()
export class DemoController {
  private readonly files = new Map<string, string>();

  constructor() {
    const dir = publicDir();
    for (const name of Object.keys(ASSETS)) this.files.set(name, readFileSync(join(dir, name), 'utf8'));
  }

  @Get()
  @Redirect('/process-manager/', 302)
  root(): void {}

  /** The panel links its files relatively, so it is served at `/demo/` (with the slash). */
  @Get('demo')
  index(@Req() request: HttpRequest, @Res() response: HttpResponse & { redirect(url: string): void }): void {
    if (!request.originalUrl.split('?')[0]!.endsWith('/')) return response.redirect('/demo/');
    response.setHeader('Content-Type', ASSETS['index.html']!);
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('Content-Security-Policy', CSP);
    response.send(this.files.get('index.html')!);
  }

  @Get('demo/:file')
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', CSP)
  asset(@Param('file') file: string, @Res({ passthrough: true }) response: HttpResponse): string {
    const content = this.files.get(file);
    if (!content || file === 'index.html') throw new NotFoundException(`No demo file ${file}`);
    response.setHeader('Content-Type', ASSETS[file]!);
    return content;
  }
}

/** The files sit next to this one in the sources; the compiled sample (dist/) reads them from there too. */
function publicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = here.replace(/([\\/])dist([\\/])apps([\\/])/, '$1apps$3');
  return join(source, 'public');
}
