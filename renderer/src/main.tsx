import { setNonce } from 'get-nonce';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ApiContext, connectApi } from './api.ts';
import { applyTheme } from './preferences.ts';
import './styles.css';

applyTheme();
// The <style> elements Radix adds while a dialog or menu is open carry the page's nonce (shared/csp.ts).
setNonce(document.querySelector('meta[name="rowbot-style-nonce"]')?.getAttribute('content') ?? '');

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <ApiContext value={connectApi()}>
      <App />
    </ApiContext>
  </StrictMode>,
);
