// The preview report is part of the hub API's wire contract (POST /api/v1/preview): its types live
// in src/api/wire.ts, which the web UI copies; the preview code names them from here.
export type { AppPreview, ObjectChange, PreviewReport, PreviewSummary } from '../api/wire.js';
