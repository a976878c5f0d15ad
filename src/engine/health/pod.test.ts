import { describe, expect, it } from 'vitest';
import { cond, makeObject, type FixtureParts } from './fixtures.js';
import { podHealth } from './pod.js';

const pod = (parts: FixtureParts) => podHealth(makeObject('v1', 'Pod', parts));

const container = (name: string, ready: boolean, state: Record<string, unknown> = { running: {} }) => ({
  name,
  ready,
  state,
});

describe('podHealth', () => {
  it('is Healthy when running with every container ready', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [container('app', true), container('proxy', true)],
    };
    expect(pod({ status })).toEqual({ status: 'Healthy' });
  });

  it('is Progressing when running with a container not ready (restartPolicy Always)', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [container('app', true), container('proxy', false)],
    };
    expect(pod({ spec: { restartPolicy: 'Always' }, status }).status).toBe('Progressing');
  });

  it('is Progressing when running without container statuses', () => {
    expect(pod({ status: { phase: 'Running' } }).status).toBe('Progressing');
  });

  it('is Progressing while a run-to-completion pod (restartPolicy Never) is running', () => {
    const status = { phase: 'Running', containerStatuses: [container('task', true)] };
    expect(pod({ spec: { restartPolicy: 'Never' }, status })).toEqual({
      status: 'Progressing',
      message: 'Pod is running',
    });
  });

  it('is Healthy when Succeeded', () => {
    expect(pod({ status: { phase: 'Succeeded' } }).status).toBe('Healthy');
  });

  it('is Degraded when Failed, with the pod message', () => {
    expect(pod({ status: { phase: 'Failed', message: 'The node was low on memory.' } })).toEqual({
      status: 'Degraded',
      message: 'The node was low on memory.',
    });
  });

  it('is Degraded when Failed, naming the container that terminated badly', () => {
    const status = {
      phase: 'Failed',
      containerStatuses: [
        container('ok', false, { terminated: { exitCode: 0, reason: 'Completed' } }),
        container('app', false, { terminated: { exitCode: 137, reason: 'OOMKilled' } }),
      ],
    };
    expect(pod({ status })).toEqual({
      status: 'Degraded',
      message: 'Pod container app terminated: OOMKilled (exit code 137)',
    });
  });

  it.each([
    'CrashLoopBackOff',
    'ImagePullBackOff',
    'ErrImagePull',
    'CreateContainerConfigError',
    'InvalidImageName',
  ])('is Degraded when a container waits with %s', (reason) => {
    const status = {
      phase: reason === 'CrashLoopBackOff' ? 'Running' : 'Pending',
      containerStatuses: [container('app', false, { waiting: { reason, message: 'details' } })],
    };
    expect(pod({ status })).toEqual({ status: 'Degraded', message: `Pod container app: ${reason}: details` });
  });

  it('is Degraded when an init container crash-loops', () => {
    const status = {
      phase: 'Pending',
      initContainerStatuses: [container('migrate', false, { waiting: { reason: 'CrashLoopBackOff' } })],
    };
    expect(pod({ status })).toEqual({
      status: 'Degraded',
      message: 'Pod container migrate: CrashLoopBackOff',
    });
  });

  it('is Progressing while Pending, naming the waiting reason', () => {
    const status = {
      phase: 'Pending',
      containerStatuses: [container('app', false, { waiting: { reason: 'ContainerCreating' } })],
    };
    expect(pod({ status })).toEqual({ status: 'Progressing', message: 'Pod is pending: ContainerCreating' });
  });

  it('is Progressing while unschedulable, with the scheduler message', () => {
    const status = {
      phase: 'Pending',
      conditions: [cond('PodScheduled', 'False', 'Unschedulable', '0/3 nodes are available')],
    };
    expect(pod({ status })).toEqual({
      status: 'Progressing',
      message: 'Pod is pending: 0/3 nodes are available',
    });
  });

  it('is Progressing before the kubelet writes any status', () => {
    expect(pod({}).status).toBe('Progressing');
  });

  it('is Unknown when the phase is Unknown', () => {
    expect(pod({ status: { phase: 'Unknown' } }).status).toBe('Unknown');
  });
});
