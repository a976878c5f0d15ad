/**
 * The controllers that write to Git (image update automation, promotion pipelines), run by the
 * replica holding the leader Lease only: two replicas pushing the same update would only race
 * (harmlessly, thanks to the fresh-clone retry) and double the registry and Git traffic.
 */
import type { Logger } from 'pino';
import type { AuditSink } from '../../governance/audit/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { Notifier } from '../notify/notifier.js';
import { PromotionController } from '../promotion/controller.js';
import { ImageController } from './controller.js';

export interface WriteBackOptions {
  client: KubeClient;
  log: Logger;
  namespace?: string;
  tickMs: number;
  notifier?: Notifier;
  audit?: AuditSink;
  images: boolean;
  promotions: boolean;
}

export interface WriteBack {
  /** Starts or stops the controllers as this replica gains or loses leadership. */
  follow(isLeader: boolean): void;
  stop(): Promise<void>;
}

export function writeBack(o: WriteBackOptions): WriteBack {
  let images: ImageController | undefined;
  let promotions: PromotionController | undefined;
  const ns = o.namespace !== undefined ? { namespace: o.namespace } : {};
  return {
    follow(isLeader) {
      if (isLeader && o.images && !images) {
        images = new ImageController({
          client: o.client,
          log: o.log.child({ component: 'image-automation' }),
          ...ns,
          tickMs: o.tickMs,
          ...(o.notifier ? { notifier: o.notifier } : {}),
        });
        images.start();
      } else if (!isLeader && images) {
        void images.stop();
        images = undefined;
      }
      if (isLeader && o.promotions && !promotions) {
        promotions = new PromotionController({
          client: o.client,
          log: o.log.child({ component: 'promotion' }),
          ...ns,
          tickMs: o.tickMs,
          ...(o.notifier ? { notifier: o.notifier } : {}),
          ...(o.audit ? { audit: o.audit } : {}),
        });
        promotions.start();
      } else if (!isLeader && promotions) {
        void promotions.stop();
        promotions = undefined;
      }
    },
    async stop() {
      await Promise.all([images?.stop(), promotions?.stop()]);
      images = undefined;
      promotions = undefined;
    },
  };
}
