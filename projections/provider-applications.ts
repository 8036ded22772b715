import type { RecordedEvent } from '../events/envelope.ts';
import type { Environment } from '../events/provider.ts';
import type { Change, Projection } from './projection.ts';

/**
 * Providers' applications across every provider, by application id: what the queue in filing order
 * and the out-of-order rule read (the lowest filing sequence among undecided applications of an
 * environment). One provider's stream cannot answer that; this read model can.
 */
export interface ProviderApplicationDoc {
  applicationId: string;
  providerId: string;
  environment: Environment;
  filingSequence: number;
  skipSimulator: boolean;
  filedAt: string;
  status: 'undecided' | 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
  outOfOrderReason?: string;
}

export const PROVIDER_APPLICATIONS = 'provider_applications';

export const providerApplicationsProjection: Projection = {
  name: 'provider-applications',
  version: 1,
  collections: [{ name: PROVIDER_APPLICATIONS, indexes: ['environment', 'status', 'filingSequence', 'providerId'] }],
  handles: ['ApplicationFiled', 'ApplicationApproved', 'ApplicationRejected'],
  project(event: RecordedEvent): Change[] {
    const d = event.data;
    const id = String(d.applicationId);
    switch (event.type) {
      case 'ApplicationFiled': {
        const doc: ProviderApplicationDoc = {
          applicationId: id,
          providerId: String(d.providerId),
          environment: d.environment as Environment,
          filingSequence: Number(d.filingSequence),
          skipSimulator: d.skipSimulator === true,
          filedAt: String(d.filedAt),
          status: 'undecided',
        };
        return [{ collection: PROVIDER_APPLICATIONS, op: 'put', id, doc }];
      }
      case 'ApplicationApproved':
      case 'ApplicationRejected': {
        const approved = event.type === 'ApplicationApproved';
        const doc = {
          status: approved ? 'approved' : 'rejected',
          decidedBy: String(d.by),
          decidedAt: String(approved ? d.approvedAt : d.rejectedAt),
          ...(typeof d.outOfOrderReason === 'string' ? { outOfOrderReason: d.outOfOrderReason } : {}),
        };
        return [{ collection: PROVIDER_APPLICATIONS, op: 'merge', id, doc }];
      }
      default:
        return [];
    }
  },
};
