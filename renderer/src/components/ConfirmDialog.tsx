import { useEffect, useId, useRef } from 'react';

interface Props {
  title: string;
  children: React.ReactNode;
  /** The button that does it, e.g. "Cancel the job". */
  confirmLabel: string;
  /** The button that leaves things as they are, e.g. "Keep running". */
  keepLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}

/**
 * "Are you sure?" for an action that cannot be undone. Mounted to open (a native modal <dialog>:
 * focus kept inside, Escape closes); the safe choice has the focus, so Enter does no harm.
 */
export function ConfirmDialog({ title, children, confirmLabel, keepLabel, onConfirm, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const textId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    keep.current?.focus();
  }, []);

  return (
    <dialog
      ref={dialog}
      className="export-dialog confirm-dialog"
      aria-labelledby={titleId}
      aria-describedby={textId}
      onClose={onClose}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={textId} className="dialog-text">
        {children}
      </div>
      <div className="dialog-actions">
        <button type="button" ref={keep} onClick={() => dialog.current?.close()}>
          {keepLabel}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            onConfirm();
            dialog.current?.close();
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
