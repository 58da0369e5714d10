import type { DefenderSimulator } from './server.js';

/** A few isolated machines with stable ids, so the README's walkthrough can name them. */
export const DEMO_MACHINES = [
  {
    id: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
    computerDnsName: 'finance-laptop-07.contoso.com',
    machineTags: ['finance'],
  },
  {
    id: '7f3a9c21d4b8e6f0a1c2d3e4f5a6b7c8d9e0f1a2',
    computerDnsName: 'build-agent-12.contoso.com',
    machineTags: ['build'],
  },
  { id: 'b4d2e6f8a0c1e3f5a7b9c1d3e5f7a9b1c3d5e7f9', computerDnsName: 'hr-desktop-03.contoso.com', machineTags: ['hr'] },
] as const;

export function seedDemoMachines(simulator: DefenderSimulator): void {
  for (const machine of DEMO_MACHINES) {
    simulator.addMachine({
      id: machine.id,
      computerDnsName: machine.computerDnsName,
      machineTags: [...machine.machineTags],
      rbacGroupName: 'Workstations',
      rbacGroupId: 42,
      isolated: true,
      // Long enough to watch the action move through Pending and InProgress in the UI.
      behavior: { pendingMs: 5_000, inProgressMs: 10_000 },
    });
  }
}
