// Downloads of the current comparison as CSV and JSON, and an HTML report of the view, made
// in the page: nothing is sent.
import { viewState, visibleRows } from './comparison-view.js';
import { reportHtml } from './report.js';

const FIELDS = ['typeName', 'newCount', 'deletedCount', 'countDelta', 'newBytes', 'freedBytes', 'bytesDelta', 'bytesAfter'];

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function csvField(value) {
  const text = String(value);
  // Quote when needed; a leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function setUpExport(getAnalysis) {
  document.getElementById('export-csv').addEventListener('click', () => {
    const lines = [FIELDS.join(',')].concat(visibleRows().map((r) => FIELDS.map((f) => csvField(r[f])).join(',')));
    download('heapsnap-comparison.csv', 'text/csv', lines.join('\n') + '\n');
  });
  document.getElementById('export-json').addEventListener('click', () => {
    download('heapsnap-analysis.json', 'application/json', JSON.stringify(getAnalysis(), null, 2));
  });
  document.getElementById('export-report').addEventListener('click', () => {
    download('heapsnap-report.html', 'text/html', reportHtml(getAnalysis(), visibleRows(), viewState()));
  });
}
