/**
 * The app's inference worker, through its client (src/inference-client.ts):
 * started with the app, terminated with it. The standalone app also exposes
 * its automation hooks (`window.lookalike`, docs/testing.md).
 */
import { useEffect, useState } from 'preact/hooks';
import { createInferenceClient, type InferenceClient } from '../inference-client.ts';
import { exposeAutomationHooks } from './automation-hooks.ts';

export function useInferenceClient(workerUrl: string | undefined, embedded: boolean): InferenceClient {
  const [client] = useState(() => createInferenceClient(workerUrl));
  useEffect(() => {
    if (!embedded) exposeAutomationHooks(client);
    return () => client.terminate();
  }, []);
  return client;
}
