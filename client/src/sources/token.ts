// The access token a server bound beyond loopback asks for: given once in the page's address
// (`?token=`), passed on to every API call (header) and to the WebSocket (query).
const token = new URLSearchParams(location.search).get('token');

export const tokenHeaders = (): Record<string, string> => (token ? { 'x-memtide-token': token } : {});

export const withToken = (url: string): string => (token ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url);
