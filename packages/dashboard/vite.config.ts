import { defineConfig } from 'vite';

// Built into dist/, which the API serves at / (services/api/src/routes/dashboard). Everything is
// bundled: the API's Content-Security-Policy allows same-origin scripts and styles only.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline data: URLs for assets and no module-preload polyfill script: both would need CSP exceptions.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
