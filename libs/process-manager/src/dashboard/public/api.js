/* global fetch, sessionStorage, window, CustomEvent, URLSearchParams */
// The dashboard's JSON API, relative to the page (so any mount path or global prefix works).

const TOKEN_KEY = 'nestjs-process-manager:dashboard-token';

/** A failed API call: the library's error name and message, and the HTTP status. */
export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.errorName = name;
  }
}

/** Bearer token for apps whose guard wants one: asked for once, kept for this tab's session only. */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** GET `path`, or POST it with a JSON `body` (every write is a POST with a JSON body). */
export async function api(path, body) {
  const headers = { Accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`api/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'The app is unreachable.');
  }
  const data = (response.headers.get('content-type') ?? '').includes('json')
    ? await response.json().catch(() => undefined)
    : undefined;
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      data?.error ?? `HTTP ${response.status}`,
      data?.message ?? response.statusText,
    );
    if (response.status === 401)
      window.dispatchEvent(new CustomEvent('dashboard:unauthorized', { detail: error }));
    throw error;
  }
  return data;
}

export const query = (values) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
};
