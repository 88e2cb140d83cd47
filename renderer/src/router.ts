import { useEffect, useState } from 'react';

export type Route = { screen: 'jobs' } | { screen: 'new' } | { screen: 'settings' } | { screen: 'job'; jobId: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const job = path.match(/^\/jobs\/([A-Za-z0-9_-]+)$/);
  if (job?.[1]) return { screen: 'job', jobId: job[1] };
  if (path === '/new') return { screen: 'new' };
  if (path === '/settings') return { screen: 'settings' };
  return { screen: 'jobs' };
}

export function navigate(route: Route): void {
  window.location.hash = route.screen === 'job' ? `/jobs/${route.jobId}` : `/${route.screen}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
