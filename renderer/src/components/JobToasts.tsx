import { useEffect, useRef, useState } from 'react';
import { Toast } from 'radix-ui';
import { useApi } from '../api.ts';
import { formatCount } from '../format.ts';

interface Note {
  id: number;
  jobId: string;
  title: string;
  body: string;
}

/** Short: it says one thing, and the job's own view says it for good. */
const SHOWN_MS = 5000;

/** Whether the job's own view is on screen: it already says the job finished, where the Retry buttons are. */
function onScreen(jobId: string): boolean {
  return window.location.hash === `#/jobs/${jobId}`;
}

/**
 * A toast when a job finishes, or stops because the provider refused it, while the user looks at
 * something else. It sits at the bottom left, away from the table's Retry buttons on the right.
 */
export function JobToasts() {
  const api = useApi();
  const [notes, setNotes] = useState<Note[]>([]);
  const last = useRef(new Map<string, string>());
  const next = useRef(1);

  useEffect(
    () =>
      api.on('job', (job) => {
        const before = last.current.get(job.id);
        last.current.set(job.id, job.status);
        if (before !== 'running' || onScreen(job.id)) return;
        let note: Omit<Note, 'id'> | null = null;
        if (job.status === 'completed') {
          note = {
            jobId: job.id,
            title:
              job.counts.failed > 0
                ? `“${job.name}”: finished, ${formatCount(job.counts.failed)} failed`
                : `“${job.name}” is finished`,
            body: `${formatCount(job.counts.done)} done, ${formatCount(job.counts.failed)} failed.${job.cutOff > 0 ? ` ${formatCount(job.cutOff)} cut off at the output limit.` : ''}`,
          };
        } else if (job.status === 'paused' && job.pauseReason?.startsWith('Paused:')) {
          note = { jobId: job.id, title: `“${job.name}” stopped`, body: job.pauseReason };
        }
        if (note) setNotes((current) => [...current, { ...note, id: next.current++ }]);
      }),
    [api],
  );

  return (
    <Toast.Provider duration={SHOWN_MS} swipeDirection="left">
      {notes.map((note) => (
        <Toast.Root
          key={note.id}
          className="toast"
          onOpenChange={(open) => !open && setNotes((current) => current.filter((n) => n.id !== note.id))}
        >
          <Toast.Title className="toast-title">{note.title}</Toast.Title>
          <Toast.Description className="toast-body">{note.body}</Toast.Description>
          <Toast.Action altText="Open the job" asChild>
            <a href={`#/jobs/${note.jobId}`} className="toast-link">
              Open
            </a>
          </Toast.Action>
        </Toast.Root>
      ))}
      <Toast.Viewport className="toast-viewport" />
    </Toast.Provider>
  );
}
