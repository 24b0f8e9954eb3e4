/** The status-bar item: polls `mellum/status` while the server runs; a click shows the details. */
import * as vscode from 'vscode';
import { type LanguageClient, State } from 'vscode-languageclient/node';
import { Methods, type StatusResult } from './protocol';
import { describeFailure, describeStatus } from './status';

const POLL_MS = 3000;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly timer: NodeJS.Timeout;
  private last: StatusResult | undefined;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.item.command = 'mellum.showStatus';
    this.item.text = '$(loading~spin) Mellum';
    this.item.tooltip = 'Starting the Mellum server';
    this.item.show();
    this.timer = setInterval(() => void this.refresh(), POLL_MS);
  }

  async refresh(): Promise<StatusResult | undefined> {
    const client = this.client();
    if (client === undefined || client.state !== State.Running) {
      this.item.text = client?.state === State.Starting ? '$(loading~spin) Mellum' : '$(circle-slash) Mellum';
      this.item.tooltip = 'The Mellum server is not running';
      return undefined;
    }
    try {
      this.last = await client.sendRequest<StatusResult>(Methods.status, {});
      Object.assign(this.item, describeStatus(this.last));
    } catch (error) {
      Object.assign(this.item, describeFailure(error));
    }
    return this.last;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}
