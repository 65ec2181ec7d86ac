import { Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { DASHBOARD_ASSETS } from './dashboard-assets.js';

/** The part of Express's request and response used here. */
interface ShellRequest {
  originalUrl: string;
}
interface ShellResponse {
  status(code: number): this;
  setHeader(name: string, value: string): void;
  send(body: string): void;
}

/**
 * The UI: one HTML page and its files, embedded in the package (no CDN, works offline). The page links
 * its files and calls the API relatively, so it works under any global prefix or mount path.
 */
export class DashboardUiController {
  @Get()
  index(@Req() request: ShellRequest, @Res() response: ShellResponse): void {
    const path = request.originalUrl.split('?')[0] ?? '';
    if (!path.endsWith('/')) {
      // Relative links need the trailing slash; a relative Location keeps any prefix in front of it.
      const last = path.slice(path.lastIndexOf('/') + 1);
      if (!/^[\w.~%-]+$/.test(last)) throw new NotFoundException('No dashboard here.');
      response.setHeader('Location', `${last}/`);
      response.status(302).send('');
      return;
    }
    this.send(response, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() response: ShellResponse): void {
    if (file === 'index.html' || !Object.hasOwn(DASHBOARD_ASSETS, file))
      throw new NotFoundException(`The dashboard has no file "${file.slice(0, 80)}".`);
    this.send(response, file);
  }

  private send(response: ShellResponse, file: string): void {
    const asset = DASHBOARD_ASSETS[file]!;
    response.setHeader('Content-Type', asset.contentType);
    response.status(200).send(asset.body);
  }
}
