// The analysis worker of the served page: owns the WebAssembly module and every parsed
// snapshot. Snapshot bytes arrive transferred.
import init, { Workspace } from './pkg/heapsnap.js';
import { serve } from './worker-core.js';

serve(init().then(() => new Workspace()));
