// The live server as a RunSource: the WebSocket stream (validated, reconnecting) and the HTTP API.
import type { RunSource } from './run-source.js';
import {
  addMarker, cancelRun, deleteRun, fetchMatrix, fetchProcesses, fetchRun, fetchRunPage, fetchWatch, runProbe, startMatrix, startRun, startWatch, stopWatch,
} from './api.js';
import { connectWs } from './ws-client.js';

export function liveSource(): RunSource {
  return {
    connect(emit) {
      connectWs({ onMessage: emit, onState: (state, detail) => emit({ type: 'connection', state, detail }) });
    },
    load: fetchRun,
    page: fetchRunPage,
    remove: async (id) => void (await deleteRun(id)),
    start: startRun,
    cancel: async (id) => void (await cancelRun(id)),
    startMatrix,
    loadMatrix: fetchMatrix,
    watches: {
      processes: fetchProcesses,
      start: startWatch,
      load: fetchWatch,
      mark: addMarker,
      probe: runProbe,
      stop: async (id) => void (await stopWatch(id)),
    },
  };
}
