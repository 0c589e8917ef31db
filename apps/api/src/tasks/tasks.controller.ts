import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreateTaskDto } from './dto/create-task.dto.js';
import { presentTask, type TaskView } from './task.presenter.js';
import { TasksService } from './tasks.service.js';
import { TaskIdPipe } from './uuid.pipe.js';
import { API_PREFIX } from '../http/configure-http.js';

@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /** Creates a task; its request id becomes the task's correlationId. */
  @Post()
  @HttpCode(201)
  async create(@Body() body: CreateTaskDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TaskView> {
    const task = await this.tasks.create(body, String(request.id));
    reply.header('location', `/${API_PREFIX}/tasks/${task.id}`);
    return presentTask(task);
  }

  @Get(':id')
  async get(@Param('id', TaskIdPipe) id: string): Promise<TaskView> {
    return presentTask(await this.tasks.get(id));
  }
}
