import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class CreateDocumentDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[\w.-]+$/, { message: 'customerId may contain letters, digits, "_", "." and "-" only' })
  customerId!: string;
}
