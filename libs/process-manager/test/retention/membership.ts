import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, type ProcessContext } from 'nestjs-process-manager';

export class MemberJoined {
  constructor(readonly memberId: string) {}
}
export class MemberNoted {
  constructor(
    readonly memberId: string,
    readonly note: string,
  ) {}
}
export class MemberLeft {
  constructor(readonly memberId: string) {}
}
export class MemberBanned {
  constructor(readonly memberId: string) {}
}
/** Asks for a reminder `after` from now (a durable timer). */
export class ReminderWanted {
  constructor(
    readonly memberId: string,
    readonly after: string,
  ) {}
}
export class RemindMember {
  constructor(readonly memberId: string) {}
}

export class SendWelcome {
  constructor(readonly memberId: string) {}
}

/** What the command handler saw, and the switch that makes it (or the note handler) throw. */
@Injectable()
export class Mailbox {
  readonly welcomes: string[] = [];
  failWelcomes = false;
  failNotes = false;
}

export interface MembershipState {
  notes: string[];
  reminders: number;
}

/** Joins (sending a welcome), takes notes and reminders, ends by leaving (completed) or a ban (failed). */
@ProcessManager({
  name: 'membership',
  correlationKey: 'memberId',
  initialState: (): MembershipState => ({ notes: [], reminders: 0 }),
})
export class MembershipProcess {
  constructor(private readonly mailbox: Mailbox) {}

  @OnEvent(MemberJoined, { start: true })
  onJoined(event: MemberJoined, ctx: ProcessContext<MembershipState>) {
    ctx.associate('email', `${event.memberId}@example.com`);
    ctx.send(new SendWelcome(event.memberId));
  }

  @OnEvent(MemberNoted)
  onNoted(event: MemberNoted, ctx: ProcessContext<MembershipState>) {
    if (this.mailbox.failNotes) throw new Error(`notes are broken (${event.note})`);
    ctx.state.notes.push(event.note);
  }

  @OnEvent(ReminderWanted)
  onReminderWanted(event: ReminderWanted, ctx: ProcessContext<MembershipState>) {
    ctx.schedule(new RemindMember(event.memberId), { after: event.after }, 'reminder');
  }

  @OnEvent(RemindMember)
  onRemind(_event: RemindMember, ctx: ProcessContext<MembershipState>) {
    ctx.state.reminders++;
  }

  @OnEvent(MemberLeft)
  onLeft(_event: MemberLeft, ctx: ProcessContext<MembershipState>) {
    ctx.complete();
  }

  @OnEvent(MemberBanned)
  onBanned(_event: MemberBanned, ctx: ProcessContext<MembershipState>) {
    ctx.fail('banned');
  }
}

@CommandHandler(SendWelcome)
export class SendWelcomeHandler implements ICommandHandler<SendWelcome> {
  constructor(private readonly mailbox: Mailbox) {}

  execute(command: SendWelcome): Promise<void> {
    if (this.mailbox.failWelcomes) return Promise.reject(new Error('mail server down'));
    this.mailbox.welcomes.push(command.memberId);
    return Promise.resolve();
  }
}

export const MEMBERSHIP_PROVIDERS = [Mailbox, MembershipProcess, SendWelcomeHandler];
