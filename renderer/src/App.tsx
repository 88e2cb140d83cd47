import { useState } from 'react';
import { JobToasts } from './components/JobToasts.tsx';
import { JobScreen } from './screens/JobScreen.tsx';
import { JobsScreen } from './screens/JobsScreen.tsx';
import { NewJobScreen } from './screens/NewJobScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { useMenu } from './menu.ts';
import { navigate, useRoute } from './router.ts';

export function App() {
  const route = useRoute();
  useMenu();
  // A new job being set up is a draft: it stays (hidden) while the user looks at Settings or
  // the jobs, and is still there when they come back. Creating the job or "Start over" ends it.
  // It opens when the user goes to New job, not on every render there: right after a job is
  // created the address still says New job for a moment, and that must not open a blank one.
  const [draftOpen, setDraftOpen] = useState(route.screen === 'new');
  const [draftNumber, setDraftNumber] = useState(0);
  const [shownScreen, setShownScreen] = useState(route.screen);
  if (route.screen !== shownScreen) {
    setShownScreen(route.screen);
    if (route.screen === 'new') setDraftOpen(true);
  }
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/jobs" aria-label="Rowbot: all jobs">
          <span className="brand-mark" aria-hidden="true">
            ▦
          </span>
          Rowbot
        </a>
        <nav aria-label="Main">
          <a href="#/jobs" aria-current={route.screen === 'jobs' ? 'page' : undefined}>
            Jobs
          </a>
          <a href="#/settings" aria-current={route.screen === 'settings' ? 'page' : undefined}>
            Settings
          </a>
        </nav>
        <button type="button" className="primary" onClick={() => navigate({ screen: 'new' })}>
          New job
        </button>
      </header>
      <main className="content">
        {route.screen === 'jobs' && <JobsScreen />}
        {draftOpen && (
          <div hidden={route.screen !== 'new'}>
            <NewJobScreen
              key={draftNumber}
              visible={route.screen === 'new'}
              onCreated={() => {
                setDraftOpen(false);
                setDraftNumber((n) => n + 1);
              }}
              onStartOver={() => setDraftNumber((n) => n + 1)}
            />
          </div>
        )}
        {route.screen === 'settings' && <SettingsScreen section={route.section} />}
        {route.screen === 'job' && <JobScreen key={route.jobId} jobId={route.jobId} />}
        {route.screen === 'edit' && (
          <NewJobScreen key={`edit-${route.jobId}`} visible editJobId={route.jobId} onCreated={() => undefined} />
        )}
      </main>
      <JobToasts />
    </div>
  );
}
