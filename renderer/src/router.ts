import { useEffect, useState } from 'react';

export type Route =
  | { screen: 'jobs' }
  | { screen: 'new' }
  | { screen: 'settings'; section?: 'prices' }
  | { screen: 'job'; jobId: string }
  | { screen: 'edit'; jobId: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const job = path.match(/^\/jobs\/([A-Za-z0-9_-]+)$/);
  if (job?.[1]) return { screen: 'job', jobId: job[1] };
  const edit = path.match(/^\/jobs\/([A-Za-z0-9_-]+)\/edit$/);
  if (edit?.[1]) return { screen: 'edit', jobId: edit[1] };
  if (path === '/new') return { screen: 'new' };
  if (path === '/settings') return { screen: 'settings' };
  if (path === '/settings/prices') return { screen: 'settings', section: 'prices' };
  return { screen: 'jobs' };
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route).slice(1);
}

export function hrefOf(route: Route): string {
  if (route.screen === 'job') return `#/jobs/${route.jobId}`;
  if (route.screen === 'edit') return `#/jobs/${route.jobId}/edit`;
  if (route.screen === 'settings' && route.section) return `#/settings/${route.section}`;
  return `#/${route.screen}`;
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
