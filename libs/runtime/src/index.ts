export * from './bootstrap-app.js';
