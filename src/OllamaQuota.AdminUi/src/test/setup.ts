import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor give up after 1 s by default; on a 2-core machine running the other suites beside this one, a page's
// render after a click can take longer. What they wait for is unchanged, only how long.
configure({ asyncUtilTimeout: 5_000 });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  window.location.hash = '';
});

// jsdom has no layout; recharts' ResponsiveContainer needs ResizeObserver.
if (!('ResizeObserver' in globalThis)) {
  class ResizeObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = ResizeObserver;
}

// jsdom does not implement scrolling.
window.scrollTo = () => {};
