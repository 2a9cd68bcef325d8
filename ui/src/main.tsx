import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { BackendContext, tauriBackend } from './api';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root');
if (root === null) {
  throw new Error('index.html has no #root element');
}

createRoot(root).render(
  <StrictMode>
    <BackendContext value={tauriBackend}>
      <App />
    </BackendContext>
  </StrictMode>,
);
